/* record.c - names of the plain record types (record.h). */
#include "core/record.h"

const char *event_kind_name(EventKind k) {
    switch (k) {
    case EVENT_SET: return "set";
    case EVENT_PAUSE: return "pause";
    case EVENT_RESUME: return "resume";
    case EVENT_CHECKPOINT: return "checkpoint";
    case EVENT_ERROR: return "error";
    case EVENT_START: return "start";
    case EVENT_STOP: return "stop";
    case EVENT_EVAL: return "eval";
    case EVENT_REF_REFRESH: return "ref_refresh";
    }
    return "unknown";
}
