#pragma once
// Shared fixtures for the calls domain tests: the shipped catalog and a valid
// FY2017 CREST call and application that each test bends one rule of.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"

namespace tane::calls::testing {

std::string CatalogPath();
std::string DemoPath();
/// programs.yaml, loaded once; aborts the test binary if it does not load.
const Catalog& ShippedCatalog();
const ProgramRule& Program(const std::string& id);

/// An instant given in JST.
absl::Time Jst(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

inline constexpr char kCallId[] = "6f1c1c2e-2b8a-4d55-9a51-0a4c8c0d1e01";
inline constexpr char kAreaId[] = "0b7f5a1e-7c3d-4a8e-9f00-3d2e1c0b9a02";
inline constexpr char kApplicationId[] = "9d4e2f10-5a6b-4c7d-8e9f-0a1b2c3d4e05";

/// FY2017 CREST call, PUBLISHED, window [2017-04-12 00:00 JST, 2017-06-07 00:00 JST),
/// research from October 2017; no caps of its own (the program's apply).
v1::Call CrestCall();
/// A valid DRAFT application to CrestCall(): 66 months from October 2017
/// (FY2017–FY2022), ¥420M direct in total, PI 40% effort, one co-investigator.
v1::Application CrestApplication();
/// A moment CrestCall() is open.
absl::Time DuringCrestWindow();

/// The field paths of the BadRequest carried by `status`.
std::vector<std::string> FieldsOf(const absl::Status& status);

}  // namespace tane::calls::testing
