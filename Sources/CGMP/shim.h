// Debian's libgmp-dev installs gmp.h in /usr/include/<triplet> and no pkg-config file.
// GMP's public names are macros over __gmpz_* (and mpz_sgn is a macro proper), which Swift does
// not import: these inline wrappers give the few the exact determinant needs real names.
#include <gmp.h>

static inline void cgmp_init(mpz_ptr x) { mpz_init(x); }
static inline void cgmp_clear(mpz_ptr x) { mpz_clear(x); }
static inline void cgmp_set_si(mpz_ptr x, long v) { mpz_set_si(x, v); }
static inline void cgmp_mul_2exp(mpz_ptr x, mpz_srcptr y, unsigned long shift) { mpz_mul_2exp(x, y, shift); }
static inline void cgmp_mul(mpz_ptr x, mpz_srcptr y, mpz_srcptr z) { mpz_mul(x, y, z); }
static inline void cgmp_submul(mpz_ptr x, mpz_srcptr y, mpz_srcptr z) { mpz_submul(x, y, z); }
static inline void cgmp_divexact(mpz_ptr x, mpz_srcptr y, mpz_srcptr z) { mpz_divexact(x, y, z); }
static inline void cgmp_swap(mpz_ptr x, mpz_ptr y) { mpz_swap(x, y); }
static inline int cgmp_sgn(mpz_srcptr x) { return mpz_sgn(x); }
