// Debian's liblapacke-dev installs lapacke.h in /usr/include.
#include <lapacke.h>
