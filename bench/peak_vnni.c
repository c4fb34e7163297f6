/*
 * peak_vnni.c - the CPU's int8 dot-product peak (vpdpbusd), the int8
 * counterpart of peak_fma.c and measured the same way.
 *
 * Each thread runs NACC independent chains acc[i] = vpdpbusd(acc[i], a, b)
 * on the widest VNNI form that -march=native enables: AVX-512 VNNI (zmm,
 * 16 chains of 32 registers) or AVX-VNNI (ymm, 12 chains of 16). Nothing
 * touches memory inside the loop. One vpdpbusd does 4 u8 x s8 multiply-adds
 * per 32-bit lane; like the FMA peak, each multiply-add counts as 2 ops, so
 * a zmm instruction is 16 * 4 * 2 = 128 ops.
 *
 * Build:  cc -O2 -march=native -pthread bench/peak_vnni.c -o peak_vnni
 * Usage:  peak_vnni [THREADS...]   (default: 1 2)
 * Prints one JSON object per line:
 *   {"threads": T, "gops": G, "isa": "avx512vnni", "lanes": 16, ...}
 * Each figure is the best of several repetitions (the machine may be busy).
 */
#define _POSIX_C_SOURCE 200809L

#include <immintrin.h>

#if defined(__AVX512VNNI__)
#define ISA "avx512vnni"
#define LANES 16
#define NACC 16
typedef __m512i vec;
static inline vec vset(int x) { return _mm512_set1_epi32(x); }
static inline vec vadd(vec a, vec b) { return _mm512_add_epi32(a, b); }
static inline int vfirst(vec a) { return _mm_cvtsi128_si32(_mm512_castsi512_si128(a)); }
#elif defined(__AVXVNNI__)
#define ISA "avxvnni"
#define LANES 8
#define NACC 12
typedef __m256i vec;
static inline vec vset(int x) { return _mm256_set1_epi32(x); }
static inline vec vadd(vec a, vec b) { return _mm256_add_epi32(a, b); }
static inline int vfirst(vec a) { return _mm_cvtsi128_si32(_mm256_castsi256_si128(a)); }
#else
#error "peak_vnni needs a CPU with AVX-512 VNNI or AVX-VNNI (-march=native)"
#endif

#define STEPS 40000000L
#define OPS_PER_LANE 8.0 /* 4 multiply-adds, 2 ops each */

#define PEAK_NAME "peak_vnni"
#define PEAK_UNIT "gops"
#define PEAK_LANES_KEY "lanes"
#define PEAK_OPS_PER_CALL ((double)STEPS * NACC * LANES * OPS_PER_LANE)
#include "peak_driver.h"

/* The per-thread loop, in assembly: through the intrinsics GCC 12 copies
 * the accumulators between registers and the stack every iteration, which
 * measured 40% below what the kernels reach. NACC chains of STEPS steps. */
static void *peak_loop(void *sink) {
  long steps = STEPS;
  const vec a = vset(0x01020304), b = vset(0x01FF01FF);
#if defined(__AVX512VNNI__)
#define DOT(r) "vpdpbusd %2, %1, %%zmm" #r "\n\t"
  __asm__ volatile("1:\n\t" DOT(16) DOT(17) DOT(18) DOT(19) DOT(20) DOT(21)
                   DOT(22) DOT(23) DOT(24) DOT(25) DOT(26) DOT(27) DOT(28)
                   DOT(29) DOT(30) DOT(31) "dec %0\n\tjnz 1b"
                   : "+r"(steps)
                   : "v"(a), "v"(b)
                   : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
                     "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
                     "xmm28", "xmm29", "xmm30", "xmm31", "cc");
#else
#define DOT(r) "%{vex%} vpdpbusd %2, %1, %%ymm" #r "\n\t"
  __asm__ volatile("1:\n\t" DOT(4) DOT(5) DOT(6) DOT(7) DOT(8) DOT(9)
                   DOT(10) DOT(11) DOT(12) DOT(13) DOT(14) DOT(15)
                   "dec %0\n\tjnz 1b"
                   : "+r"(steps)
                   : "x"(a), "x"(b)
                   : "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                     "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
#endif
  *(int *)sink = vfirst(vadd(a, b));
  return NULL;
}
