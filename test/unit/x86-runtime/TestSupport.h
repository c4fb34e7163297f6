//===- TestSupport.h - Helpers shared by the x86 runtime tests -*- C++ -*-===//
//
// Random inputs, the tolerance check against double-precision references,
// and the guard that skips tests of an archive the host CPU cannot execute.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TEST_UNIT_X86_RUNTIME_TESTSUPPORT_H
#define CAMBRIAN_TEST_UNIT_X86_RUNTIME_TESTSUPPORT_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

/// "generic", "avx2" or "avx512": the archive this executable links
/// (defined in IsaName.cpp, one per executable).
extern const char *const cmbTestIsa;

/// Whether the host CPU has every instruction set the archive is built for.
bool cmbIsaSupported();

/// Returns from the enclosing test with a warning when the host cannot run
/// the archive (Catch2 v2 has no skip).
#define CMB_REQUIRE_ISA()                                                      \
  do {                                                                         \
    if (!cmbIsaSupported()) {                                                  \
      WARN("host CPU cannot run the " << cmbTestIsa                            \
                                      << " archive; test skipped");            \
      return;                                                                  \
    }                                                                          \
  } while (0)

/// `n` floats uniform in [-1, 1).
std::vector<float> randomFloats(std::mt19937 &rng, size_t n);

/// The CMB_CONV_ACT_* activation `kind` of `v` in double precision, with
/// its parameters; NaN stays NaN.
double activationReference(int kind, double v, double alpha, double beta);

/// Collects comparisons of float results with double references. A value
/// passes when |got - want| <= relTol * magnitude + absTol, where magnitude
/// is the sum of the absolute values of the terms that make up `want`
/// (so cancellation does not make the bound meaninglessly tight).
class Checker {
public:
  explicit Checker(double relTol = 1e-4, double absTol = 1e-6)
      : relTol(relTol), absTol(absTol) {}

  void check(double got, double want, double magnitude,
             const std::string &where);

  int64_t failures() const { return numFailures; }
  int64_t checks() const { return numChecks; }
  /// A description of the first few failures.
  const std::string &report() const { return messages; }

private:
  double relTol, absTol;
  int64_t numChecks = 0, numFailures = 0;
  std::string messages;
};

#endif // CAMBRIAN_TEST_UNIT_X86_RUNTIME_TESTSUPPORT_H
