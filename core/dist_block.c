/* dist_block.c - the parts of dist.h that every build shares: how a job is recognised and how items are split. */
#include "core/dist.h"
#include <stdlib.h>

int dist_launched(void) { return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL; }

void dist_block(int items, int rank, int size, int *first, int *count) {
    *first = (int)((long)items * rank / size);
    *count = (int)((long)items * (rank + 1) / size) - *first;
}
