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

// The exact Jacobian of a region (`ExactJacobian`).
static inline void cgmp_addmul(mpz_ptr x, mpz_srcptr y, mpz_srcptr z) { mpz_addmul(x, y, z); }
static inline double cgmp_get_d_2exp(long *exponent, mpz_srcptr x) { return mpz_get_d_2exp(exponent, x); }

// ---- GMP rationals (mpq), for the test support's exact Jacobians ----------------------------
// (LipschitzTestSupport/RationalJacobian.swift.) A self-contained block, every name cgmpq_*:
// mpq_sgn is a macro proper and the rest are macros over __gmpq_*, which Swift does not import.
static inline void cgmpq_init(mpq_ptr x) { mpq_init(x); }
static inline void cgmpq_clear(mpq_ptr x) { mpq_clear(x); }
static inline void cgmpq_set(mpq_ptr x, mpq_srcptr y) { mpq_set(x, y); }
static inline void cgmpq_set_si(mpq_ptr x, long num, unsigned long den) { mpq_set_si(x, num, den); }
static inline void cgmpq_set_d(mpq_ptr x, double v) { mpq_set_d(x, v); }
static inline double cgmpq_get_d(mpq_srcptr x) { return mpq_get_d(x); }
static inline void cgmpq_add(mpq_ptr x, mpq_srcptr y, mpq_srcptr z) { mpq_add(x, y, z); }
static inline void cgmpq_sub(mpq_ptr x, mpq_srcptr y, mpq_srcptr z) { mpq_sub(x, y, z); }
static inline void cgmpq_mul(mpq_ptr x, mpq_srcptr y, mpq_srcptr z) { mpq_mul(x, y, z); }
static inline void cgmpq_abs(mpq_ptr x, mpq_srcptr y) { mpq_abs(x, y); }
static inline void cgmpq_mul_2exp(mpq_ptr x, mpq_srcptr y, unsigned long e) { mpq_mul_2exp(x, y, e); }
static inline void cgmpq_div_2exp(mpq_ptr x, mpq_srcptr y, unsigned long e) { mpq_div_2exp(x, y, e); }
static inline int cgmpq_cmp(mpq_srcptr x, mpq_srcptr y) { return mpq_cmp(x, y); }
static inline int cgmpq_sgn(mpq_srcptr x) { return mpq_sgn(x); }
// Bits of |numerator| and of the denominator (mpz_sizeinbase base 2; 1 for a zero numerator).
static inline size_t cgmpq_num_bits(mpq_srcptr x) { return mpz_sizeinbase(mpq_numref(x), 2); }
static inline size_t cgmpq_den_bits(mpq_srcptr x) { return mpz_sizeinbase(mpq_denref(x), 2); }
// ---- end of the mpq block -------------------------------------------------------------------
