// Declarations only (see include/FuzzDriver.h); libFuzzer itself is linked by -sanitize=fuzzer.
#include "FuzzDriver.h"
