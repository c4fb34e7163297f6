#!/usr/bin/env bash
# Runs every test suite (lit, Catch2, end-to-end against onnxruntime,
# post-training quantization accuracy, ONNX conformance) and ends with one
# line "N passed, N failed" totalled over all of them. The conformance suite
# counts the cases of test/conformance/expected_passes.txt; its report goes to
# BUILD/conformance/conformance.md (`make conformance` refreshes docs/).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODELS=${2:-$BUILD/models}
PY=.venv/bin/python
passed=0; failed=0

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "== lit"
lit_out=$(/usr/lib/llvm-22/bin/lit -sv "$BUILD/test" 2>&1); lit_rc=$?
echo "$lit_out" | grep -E "^(FAIL|XPASS|UNRESOLVED|TIMEOUT):|^  (Passed|Failed|Unsupported|Unresolved)" || true
lp=$(echo "$lit_out" | sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p'); lp=${lp:-0}
lf=$(echo "$lit_out" | sed -n 's/^ *\(Failed\|Unresolved\|Timed Out\|Unexpectedly Passed\) *: *\([0-9]*\).*/\2/p' | paste -sd+ | bc); lf=${lf:-0}
[ "$lit_rc" -ne 0 ] && [ "$lf" -eq 0 ] && lf=1
add "$lp" "$lf"

echo "== unit (Catch2 via ctest)"
ctest_out=$(cd "$BUILD" && ctest --output-on-failure 2>&1); ctest_rc=$?
echo "$ctest_out" | tail -3
cp=$(echo "$ctest_out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p')
if [ -n "$cp" ]; then set -- $cp; add $(( $1 - $2 )) "$2"; elif [ "$ctest_rc" -ne 0 ]; then add 0 1; fi

echo "== end to end (onnxruntime reference)"
$PY scripts/export_models.py --out "$MODELS" >/dev/null || { echo "model export failed"; add 0 1; }
e2e_out=$($PY test/e2e/run_e2e.py --build "$BUILD" --models "$MODELS" 2>&1); e2e_rc=$?
echo "$e2e_out" | grep -E "^(PASS|FAIL)" || true
ep=$(echo "$e2e_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
if [ -n "$ep" ]; then set -- $ep; add "$1" "$2"; elif [ "$e2e_rc" -ne 0 ]; then add 0 1; fi

echo "== post-training quantization (digits CNN, int8 vs float top-1)"
ptq_out=$($PY test/e2e/ptq_digits.py --build "$BUILD" 2>&1); ptq_rc=$?
echo "$ptq_out" | grep -E "^(float:|PASS|FAIL)" || true
pp=$(echo "$ptq_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
if [ -n "$pp" ]; then set -- $pp; add "$1" "$2"; elif [ "$ptq_rc" -ne 0 ]; then echo "$ptq_out" | tail -5; add 0 1; fi

echo "== int8 end to end (onnxruntime's int8 run of the same QDQ/QOperator models)"
$PY scripts/export_models.py --out "$MODELS" --set int8 >/dev/null || { echo "int8 model export failed"; add 0 1; }
i8_out=$($PY test/e2e/run_int8.py --build "$BUILD" --models "$MODELS" 2>&1); i8_rc=$?
echo "$i8_out" | grep -E "^(PASS|FAIL)|^  BAD |^    \|" || true
i8p=$(echo "$i8_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
if [ -n "$i8p" ]; then set -- $i8p; add "$1" "$2"; elif [ "$i8_rc" -ne 0 ]; then add 0 1; fi

echo "== conformance (ONNX backend node tests)"
conf_out=$($PY test/conformance/run_conformance.py --build "$BUILD" \
  --report "$BUILD/conformance/conformance.md" 2>&1); conf_rc=$?
echo "$conf_out" | grep -E "cases pass|^(REGRESSION|CRASH|WRONG|TIMEOUT) " || true
cfp=$(echo "$conf_out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
if [ -n "$cfp" ]; then set -- $cfp; add "$1" "$2"; elif [ "$conf_rc" -ne 0 ]; then add 0 1; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
