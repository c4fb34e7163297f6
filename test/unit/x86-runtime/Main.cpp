//===- Main.cpp - Catch2 main of the x86 runtime tests --------------------===//
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
