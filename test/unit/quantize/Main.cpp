//===- Main.cpp - Catch2's main for the quantization unit tests -----------===//
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
