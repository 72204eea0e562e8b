/* commands.h - the subcommands of grpo-studio. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns the process exit status: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef GRPO_COMMANDS_H
#define GRPO_COMMANDS_H

int cmd_train(int argc, char **argv);     /* ui/cmd_train.c: studio or --headless */
int cmd_browse(int argc, char **argv);    /* ui/cmd_browse.c */
int cmd_pretrain(int argc, char **argv);  /* ui/cmd_pretrain.c */
int cmd_sft(int argc, char **argv);       /* ui/cmd_sft.c */
int cmd_eval(int argc, char **argv);      /* ui/cmd_eval.c */
int cmd_export(int argc, char **argv);    /* ui/cmd_export.c */
int cmd_sample(int argc, char **argv);    /* ui/cmd_sample.c */
int cmd_bench(int argc, char **argv);     /* ui/cmd_bench.c */
int cmd_convert(int argc, char **argv);   /* ui/cmd_convert.c: a checkpoint as the Hugging Face folder it came from */
int cmd_filldb(int argc, char **argv);    /* ui/cmd_filldb.c: a synthetic database for browsing-speed tests */
int cmd_tokenize(int argc, char **argv);  /* ui/cmd_tokenize.c: a Hugging Face tokenizer.json on some text */
int cmd_report(int argc, char **argv);    /* ui/cmd_report.c: runs as one self-contained HTML file */

#endif
