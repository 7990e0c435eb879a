/*
 * Sandbox Executor: helpers the toolchain lacks, for every C and C++ program built here. One part of the
 * runtime of the dispatchers (RUNTIME_PARTS, src/languages/native/compile-pipeline.ts), and joined after
 * the start-up code of a script (templates/c/script.c), which is compiled as C or C++.
 */

#ifdef __cplusplus
#define SBX_C_LINKAGE extern "C"
#else
#define SBX_C_LINKAGE
#endif

/*
 * The toolchain ships no compiler-rt, and the C library's sleeps (nanosleep, usleep, sleep) need
 * __muloti4, clang's 128-bit multiplication with overflow check. Provided here with 64-bit arithmetic
 * only (128-bit multiplication or division would need further missing helpers).
 */
static void sbx_multiply_64(unsigned long long a, unsigned long long b, unsigned long long *high, unsigned long long *low) {
  unsigned long long a0 = a & 0xFFFFFFFFULL, a1 = a >> 32, b0 = b & 0xFFFFFFFFULL, b1 = b >> 32;
  unsigned long long p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  unsigned long long middle = (p00 >> 32) + (p01 & 0xFFFFFFFFULL) + (p10 & 0xFFFFFFFFULL);
  *low = (p00 & 0xFFFFFFFFULL) | (middle << 32);
  *high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

SBX_C_LINKAGE __int128 __muloti4(__int128 a, __int128 b, int *overflow) {
  int negative = (a < 0) != (b < 0);
  unsigned __int128 ua = a < 0 ? -(unsigned __int128)a : (unsigned __int128)a;
  unsigned __int128 ub = b < 0 ? -(unsigned __int128)b : (unsigned __int128)b;
  unsigned long long ah = (unsigned long long)(ua >> 64), al = (unsigned long long)ua;
  unsigned long long bh = (unsigned long long)(ub >> 64), bl = (unsigned long long)ub;
  unsigned long long high, low, cross_high, cross_low;
  int overflowed = ah != 0 && bh != 0;
  sbx_multiply_64(al, bl, &high, &low);
  if (ah != 0 || bh != 0) {
    sbx_multiply_64(ah ? ah : bh, ah ? bl : al, &cross_high, &cross_low);
    if (cross_high != 0) overflowed = 1;
    unsigned long long sum = high + cross_low;
    if (sum < high) overflowed = 1;
    high = sum;
  }
  /* The magnitude must fit: below 2^127, or exactly 2^127 for a negative result. */
  if (high >> 63 && (!negative || high != (1ULL << 63) || low != 0)) overflowed = 1;
  unsigned __int128 magnitude = ((unsigned __int128)high << 64) | low;
  *overflow = overflowed;
  return (__int128)(negative ? -magnitude : magnitude);
}
