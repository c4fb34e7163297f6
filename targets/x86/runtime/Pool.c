//===- Pool.c - Max pooling over NCHW planes ------------------------------===//
//
// Generated loops vectorize a pooling window along the output row only for
// stride 1; at stride 2 (every MaxPool of the ResNets and SqueezeNet) each
// lane's input is two floats apart and LLVM falls back to scalar code. Here
// a row of outputs is a vector. With AVX-512, windows 2 or 3 wide at
// stride 2 (the common MaxPools) take the max over the window's rows of
// whole input vectors and split it into the windows' columns with
// permutes, all in registers. Other undilated windows at stride 1 or 2
// take the max over whole input vectors, each row's taps as a tree, and
// (stride 2) pick the even lanes once at the end, with masked loads at the
// row's end; other strides and the vectors that reach into the left
// padding are gathered. Planes are split over the thread pool, or a fused
// caller pools rows as it produces them (Pool.h). Padding is implicit
// (-inf), so the input is never copied.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Pool.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <math.h>

#if defined(__AVX512F__)
/// Lanes j in [0, 16) with 0 <= start + j < end, as a mask.
static inline __mmask16 lanesWithin(int64_t start, int64_t end) {
  const int64_t lo = cmb_max64(0, -start), hi = cmb_min64(16, end - start);
  if (hi <= lo)
    return 0;
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}
#endif

/// row[col0 + i * stride] for the first n <= VLEN lanes (others
/// unspecified), -inf where the column is outside [0, W); reads nothing
/// outside the row.
static inline vec_t loadStrided(const float *row, int64_t col0, int64_t stride,
                                int n, int64_t W) {
  const int64_t last = col0 + (int64_t)(n - 1) * stride;
  if (col0 >= 0 && last < W) {
    const float *p = row + col0;
    if (stride == 1)
      return n == VLEN ? V_LOAD(p) : V_LOAD_PART(p, n);
#if defined(__AVX512F__)
    if (stride == 2) {
      if (n == VLEN && col0 + 32 <= W) // the usual case: whole vectors
        return cmb_even_lanes(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16));
      const int span = 2 * n - 1; // floats from p[0] to p[2(n-1)]
      __m512 lo =
          _mm512_maskz_loadu_ps(cmb_lane_mask(span < 16 ? span : 16), p);
      __m512 hi = span > 16
                      ? _mm512_maskz_loadu_ps(cmb_lane_mask(span - 16), p + 16)
                      : _mm512_setzero_ps();
      return cmb_even_lanes(lo, hi);
    }
#endif
  }
#if defined(__AVX512F__)
  if (stride <= 2) {
    // At a row's edge: masked loads of the columns inside, -inf elsewhere
    // (masked-off lanes are not read).
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const int64_t span = (int64_t)(n - 1) * stride + 1;
    const int64_t end = cmb_min64(W, col0 + span);
    __m512 lo = _mm512_mask_loadu_ps(ninf, lanesWithin(col0, end), row + col0);
    if (stride == 1)
      return lo;
    __m512 hi = _mm512_mask_loadu_ps(ninf, lanesWithin(col0 + 16, end),
                                     row + col0 + 16);
    return cmb_even_lanes(lo, hi);
  }
#endif
  float lanes[VLEN];
  for (int i = 0; i < VLEN; ++i) {
    const int64_t c = col0 + i * stride;
    lanes[i] = i < n && c >= 0 && c < W ? row[c] : -INFINITY;
  }
  return V_LOAD(lanes);
}

/// Rows of the window of output row `oh` that lie inside the input (the
/// others are -inf padding), into rows[]; returns how many.
static int windowRows(const cmb_pool_shape *s, const float *in, int64_t inRow0,
                      int64_t oh, const float **rows) {
  int n = 0;
  for (int64_t kh = 0; kh < s->KH; ++kh) {
    const int64_t ih = oh * s->SH - s->PT + kh * s->DH;
    if (ih >= 0 && ih < s->H)
      rows[n++] = in + (ih - inRow0) * s->W;
  }
  return n;
}

/// One full output vector away from the row's edges, for undilated windows
/// at stride 1 or (AVX-512) 2: the max is taken over whole input vectors
/// first, and the stride-2 lanes are picked once at the end (max commutes
/// with picking lanes), instead of a permute per tap.
CMB_INLINE vec_t interiorVector(const float *const *rows, int numRows,
                                int64_t col0, int64_t KW, int64_t SW) {
  // Each NaN-propagating max is a max and a blend in sequence: the taps of
  // a row are reduced as a tree, so the chain through the window is as long
  // as its rows, not its taps (3x3: 5 steps instead of 9).
  vec_t lo = V_SET1(-INFINITY), hi = lo;
  for (int r = 0; r < numRows; ++r) {
    const float *p = rows[r] + col0;
    vec_t rl, rh = V_SET1(-INFINITY);
    if (KW == 3) {
      rl = cmb_vmax_nan(cmb_vmax_nan(V_LOAD(p), V_LOAD(p + 1)), V_LOAD(p + 2));
      if (SW == 2)
        rh = cmb_vmax_nan(cmb_vmax_nan(V_LOAD(p + VLEN), V_LOAD(p + VLEN + 1)),
                          V_LOAD(p + VLEN + 2));
    } else {
      rl = V_LOAD(p);
      if (SW == 2)
        rh = V_LOAD(p + VLEN);
      for (int64_t kw = 1; kw < KW; ++kw) {
        rl = cmb_vmax_nan(rl, V_LOAD(p + kw));
        if (SW == 2)
          rh = cmb_vmax_nan(rh, V_LOAD(p + VLEN + kw));
      }
    }
    lo = cmb_vmax_nan(lo, rl);
    hi = cmb_vmax_nan(hi, rh);
  }
#if defined(__AVX512F__)
  if (SW == 2) {
    return cmb_even_lanes(lo, hi);
  }
#endif
  return lo;
}

#if defined(__AVX512F__)
/// interiorVector for the last vector of a row: lanes whose taps reach past
/// the row's `avail` floats from col0 load -inf (masked loads read nothing
/// there). Lanes past the output row are computed and not stored.
static inline vec_t tailVector(const float *const *rows, int numRows,
                               int64_t col0, int64_t KW, int64_t SW,
                               int64_t avail) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  __m512 lo = ninf, hi = ninf;
  for (int64_t kw = 0; kw < KW; ++kw) {
    const int64_t left = avail - kw;
    const __mmask16 mlo =
        cmb_lane_mask((int)cmb_max64(0, cmb_min64(VLEN, left)));
    const __mmask16 mhi =
        cmb_lane_mask((int)cmb_max64(0, cmb_min64(VLEN, left - VLEN)));
    for (int r = 0; r < numRows; ++r) {
      const float *p = rows[r] + col0 + kw;
      lo = cmb_vmax_nan(lo, _mm512_mask_loadu_ps(ninf, mlo, p));
      if (SW == 2)
        hi = cmb_vmax_nan(hi, _mm512_mask_loadu_ps(ninf, mhi, p + VLEN));
    }
  }
  if (SW == 1)
    return lo;
  return cmb_even_lanes(lo, hi);
}
#endif

#if defined(__AVX512F__)
/// Whether poolRowStride2 handles the job: stride 2, undilated, 2 or 3
/// columns per window (the MaxPools of ResNet and SqueezeNet).
static int hasStride2RowPath(const cmb_pool_shape *s) {
  return s->SW == 2 && s->DW == 1 && (s->KW == 2 || s->KW == 3) &&
         s->KH <= 16;
}

/// The max over the window's rows of input columns [c0, c0 + 16), -inf
/// for columns outside [0, W) (masked-off lanes are not read).
CMB_INLINE __m512 columnMax(const float *const *rows, int numRows, int64_t c0,
                            int64_t W) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  if (c0 >= 0 && c0 + VLEN <= W) {
    if (numRows == 3) // the usual 3x3 window away from the padding
      return cmb_vmax_nan(cmb_vmax_nan(_mm512_loadu_ps(rows[0] + c0),
                                       _mm512_loadu_ps(rows[1] + c0)),
                          _mm512_loadu_ps(rows[2] + c0));
    __m512 v = ninf;
    for (int r = 0; r < numRows; ++r)
      v = cmb_vmax_nan(v, _mm512_loadu_ps(rows[r] + c0));
    return v;
  }
  const __mmask16 m = lanesWithin(c0, W);
  __m512 v = ninf;
  for (int r = 0; r < numRows; ++r)
    v = cmb_vmax_nan(v, _mm512_mask_loadu_ps(ninf, m, rows[r] + c0));
  return v;
}

/// One output row at stride 2, in registers: output vector ow covers input
/// columns 2 ow - PL onwards; the rows' max of the 32 columns from there
/// (two vectors) splits by permutes into the even and odd columns of the
/// windows, and for 3 columns the even ones shifted by a lane, whose last
/// comes from the next 16 columns, which are the next output vector's
/// first. Every input vector is loaded once per output row, and nothing
/// goes through memory.
static void poolRowStride2(const cmb_pool_shape *s, const float *const *rows,
                           int numRows, float *out) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                         20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
                                        21, 23, 25, 27, 29, 31);
  __m512 a = columnMax(rows, numRows, -s->PL, s->W);
  for (int64_t ow = 0; ow < s->OW; ow += VLEN) {
    const int64_t c0 = 2 * ow - s->PL;
    const __m512 b = columnMax(rows, numRows, c0 + VLEN, s->W);
    const __m512 next = columnMax(rows, numRows, c0 + 2 * VLEN, s->W);
    const __m512 e = _mm512_permutex2var_ps(a, even, b);
    __m512 v = cmb_vmax_nan(e, _mm512_permutex2var_ps(a, odd, b));
    if (s->KW == 3) // columns 2j + 2: e shifted by one lane, then next[0]
      v = cmb_vmax_nan(v, _mm512_castsi512_ps(_mm512_alignr_epi32(
                              _mm512_castps_si512(next),
                              _mm512_castps_si512(e), 1)));
    const __mmask16 m = cmb_lane_mask((int)cmb_min64(VLEN, s->OW - ow));
    if (s->accumulate)
      v = cmb_vmax_nan(_mm512_maskz_loadu_ps(m, out + ow), v);
    _mm512_mask_storeu_ps(out + ow, m, v);
    a = next;
  }
}
#endif

/// Whether interiorVector handles the job's windows.
static int hasInteriorPath(const cmb_pool_shape *s) {
#if defined(__AVX512F__)
  const int strideOk = s->SW == 1 || s->SW == 2;
#else
  const int strideOk = s->SW == 1;
#endif
  return strideOk && s->DW == 1 && s->KH <= 16;
}

void cmb_maxpool_rows(const cmb_pool_shape *s, const float *in, int64_t inRow0,
                      int64_t oh0, int64_t oh1, float *out) {
  const int interior = hasInteriorPath(s);
#if defined(__AVX512F__)
  const int stride2Rows = hasStride2RowPath(s);
#endif
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    float *row = out + oh * s->OW;
    const float *rows[16];
#if defined(__AVX512F__)
    if (stride2Rows) {
      poolRowStride2(s, rows, windowRows(s, in, inRow0, oh, rows), row);
      continue;
    }
#endif
    const int numRows = interior ? windowRows(s, in, inRow0, oh, rows) : 0;
    for (int64_t ow = 0; ow < s->OW; ow += VLEN) {
      const int n = (int)cmb_min64(VLEN, s->OW - ow);
      const int64_t col0 = ow * s->SW - s->PL;
      // The loads of interiorVector: floats col0 .. col0 + KW - 1 +
      // SW * VLEN - 1 of each row.
      if (interior && n == VLEN && col0 >= 0 &&
          col0 + s->KW - 1 + s->SW * VLEN <= s->W) {
        vec_t acc = interiorVector(rows, numRows, col0, s->KW, s->SW);
        if (s->accumulate)
          acc = cmb_vmax_nan(V_LOAD(row + ow), acc);
        V_STORE(row + ow, acc);
        continue;
      }
#if defined(__AVX512F__)
      if (interior && col0 >= 0) {
        vec_t acc =
            tailVector(rows, numRows, col0, s->KW, s->SW, s->W - col0);
        if (s->accumulate)
          acc = cmb_vmax_nan(V_LOAD_PART(row + ow, n), acc);
        V_STORE_PART(row + ow, acc, n);
        continue;
      }
#endif
      vec_t acc = s->accumulate
                      ? (n == VLEN ? V_LOAD(row + ow) : V_LOAD_PART(row + ow, n))
                      : V_SET1(-INFINITY);
      for (int64_t kh = 0; kh < s->KH; ++kh) {
        const int64_t ih = oh * s->SH - s->PT + kh * s->DH;
        if (ih < 0 || ih >= s->H) // padding rows: -inf
          continue;
        const float *r = in + (ih - inRow0) * s->W;
        for (int64_t kw = 0; kw < s->KW; ++kw)
          acc = cmb_vmax_nan(
              acc, loadStrided(r, col0 + kw * s->DW, s->SW, n, s->W));
      }
      if (n == VLEN)
        V_STORE(row + ow, acc);
      else
        V_STORE_PART(row + ow, acc, n);
    }
  }
}

typedef struct PlaneJob {
  cmb_pool_shape s;
  const float *x;
  float *y;
} PlaneJob;

static void poolPlane(void *ctx, int64_t plane, cmb_scratch *scratch) {
  (void)scratch;
  const PlaneJob *job = (const PlaneJob *)ctx;
  const cmb_pool_shape *s = &job->s;
  cmb_maxpool_rows(s, job->x + plane * s->H * s->W, 0, 0, s->OH,
                   job->y + plane * s->OH * s->OW);
}

void cmb_pool_unpack(const int64_t *params, cmb_pool_shape *s) {
  cmb_pool_shape r = {params[CMB_POOL_PLANES],     params[CMB_POOL_H],
                      params[CMB_POOL_W],          params[CMB_POOL_OH],
                      params[CMB_POOL_OW],         params[CMB_POOL_KH],
                      params[CMB_POOL_KW],         params[CMB_POOL_STRIDE_H],
                      params[CMB_POOL_STRIDE_W],   params[CMB_POOL_DILATION_H],
                      params[CMB_POOL_DILATION_W], params[CMB_POOL_ACCUMULATE] != 0,
                      params[CMB_POOL_PAD_TOP],    params[CMB_POOL_PAD_LEFT]};
  if (r.KH <= 0 || r.KW <= 0 || r.SH <= 0 || r.SW <= 0 || r.DH <= 0 ||
      r.DW <= 0 || r.PT < 0 || r.PL < 0)
    cmb_fatal("maxpool2d: invalid window");
  *s = r;
}

CMB_EXPORT void cmb_x86_maxpool2d(const float *x, float *y,
                                  const int64_t *params) {
  PlaneJob job = {{0}, x, y};
  cmb_pool_unpack(params, &job.s);
  if (job.s.P <= 0 || job.s.OH <= 0 || job.s.OW <= 0)
    return;
  cmb_parallel_for(job.s.P, poolPlane, &job);
}
