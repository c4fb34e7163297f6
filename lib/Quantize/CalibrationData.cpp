//===- CalibrationData.cpp - The calibration folder -----------------------===//
//
// One .npy per sample for a single-input model, or one sub-folder per sample
// with one `<input name>.npy` per input. Layout problems are found before
// anything runs; a file's contents are checked when it is read.
//
//===----------------------------------------------------------------------===//

#include "QuantizeInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>

using namespace cambrian;
using namespace cambrian::quant;
namespace fs = llvm::sys::fs;

/// "1x3x?x8", or "scalar".
static std::string shapeString(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + (d < 0 ? std::string("?") : std::to_string(d));
  return s;
}

/// The entries of `dir`, sorted, without hidden ones; "" or an error.
static std::string listDir(const std::string &dir,
                           std::vector<std::string> &entries) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with("."))
      entries.push_back(it->path());
  }
  if (ec)
    return "cannot list '" + dir + "': " + ec.message();
  llvm::sort(entries);
  return "";
}

std::string CalibrationSet::open(const std::string &dir,
                                 const std::vector<ModelInput> &modelInputs) {
  inputs = modelInputs;
  if (!fs::is_directory(dir))
    return "calibration folder '" + dir + "' is not a folder";
  if (inputs.empty())
    return "the model has no inputs to calibrate with";
  std::vector<std::string> entries;
  if (std::string err = listDir(dir, entries); !err.empty())
    return err;
  if (entries.empty())
    return "calibration folder '" + dir + "' holds no samples (expected " +
           (inputs.size() == 1 ? "one .npy per sample" : "sub-folders") + ")";

  bool folders = llvm::any_of(entries, [](const std::string &e) {
    return fs::is_directory(e);
  });
  std::string names;
  for (const ModelInput &in : inputs)
    names += (names.empty() ? "'" : ", '") + in.name + "'";
  if (!folders) {
    if (inputs.size() != 1)
      return "calibration folder '" + dir + "' holds files, but the model has " +
             std::to_string(inputs.size()) + " inputs (" + names +
             "): put each sample in a sub-folder with one <input name>.npy "
             "per input";
    for (const std::string &e : entries) {
      if (!llvm::StringRef(e).ends_with(".npy"))
        return "calibration file '" + e + "' is not a .npy file";
      files.push_back({e});
    }
    return "";
  }
  for (const std::string &e : entries) {
    if (!fs::is_directory(e))
      return "calibration file '" + e +
             "' is not a sample folder (samples here are sub-folders with "
             "one <input name>.npy per input)";
    std::vector<std::string> content;
    if (std::string err = listDir(e, content); !err.empty())
      return err;
    std::vector<std::string> sample;
    for (const ModelInput &in : inputs) {
      llvm::SmallString<128> p(e);
      llvm::sys::path::append(p, in.name + ".npy");
      if (!llvm::is_contained(content, std::string(p)))
        return "calibration sample '" + e + "' has no '" + in.name +
               ".npy' (the model's inputs are " + names + ")";
      sample.push_back(std::string(p));
    }
    for (const std::string &c : content)
      if (!llvm::is_contained(sample, c))
        return "calibration file '" + c + "' is not an input of the model (" +
               names + ")";
    files.push_back(std::move(sample));
  }
  return "";
}

std::string CalibrationSet::pinShapes(
    std::vector<std::vector<int64_t>> &shapes) const {
  shapes.clear();
  for (size_t k = 0; k < inputs.size(); ++k) {
    const ModelInput &in = inputs[k];
    bool dynamic = !in.rankKnown || llvm::is_contained(in.shape, -1);
    if (!dynamic) {
      shapes.push_back(in.shape);
      continue;
    }
    NpyArray a;
    if (std::string err = readNpy(files[0][k], a); !err.empty())
      return "calibration file '" + files[0][k] + "': " + err;
    std::vector<int64_t> pinned = in.shape;
    if (in.rankKnown && a.shape.size() != in.shape.size())
      return "calibration file '" + files[0][k] + "' has shape " +
             shapeString(a.shape) + " but the input '" + in.name + "' is " +
             shapeString(in.shape);
    if (!in.rankKnown)
      pinned = a.shape;
    for (size_t d = 0; d < pinned.size(); ++d)
      if (pinned[d] < 0)
        pinned[d] = a.shape[d];
    shapes.push_back(std::move(pinned));
  }
  return "";
}

std::string CalibrationSet::read(size_t i,
                                 const std::vector<std::vector<int64_t>> &shapes,
                                 std::vector<NpyArray> &arrays) const {
  arrays.assign(inputs.size(), NpyArray());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::string &file = files[i][k];
    NpyArray &a = arrays[k];
    if (std::string err = readNpy(file, a); !err.empty())
      return "calibration file '" + file + "': " + err;
    if (!npyHolds(a.elemType, inputs[k].elemType))
      return "calibration file '" + file + "' holds " + npyDtype(a.elemType) +
             " but the input '" + inputs[k].name + "' is " +
             npyDtype(inputs[k].elemType);
    if (a.shape != shapes[k]) {
      bool dynamic = !inputs[k].rankKnown || llvm::is_contained(inputs[k].shape, -1);
      return "calibration file '" + file + "' has shape " +
             shapeString(a.shape) + " but the input '" + inputs[k].name +
             "' is " + shapeString(shapes[k]) +
             (dynamic ? " (its dynamic dimensions take the first sample's "
                        "extents; every sample must have them)"
                      : "");
    }
  }
  return "";
}
