#pragma once
/// Who acts, when and through which channel: the context every command of the
/// international domain takes. Nothing in the domain reads a clock or a
/// network; the caller passes `now` and persists what a command returns.

#include "absl/time/time.h"
#include "tane/common/v1/types.pb.h"
#include "tane/international/v1/international.pb.h"

namespace tane::international {

namespace v1 = ::tane::international::v1;

/// The gateway's role names this service distinguishes.
inline constexpr char kPartnerRole[] = "partner";

struct Context {
  /// subject, role and, for role "partner", the agency code.
  common::v1::Actor actor;
  absl::Time now;
  /// Recorded on what the command files (partner proposals and decisions,
  /// conflicts); CHANNEL_BATCH for rows of an imported file.
  v1::Channel channel = v1::CHANNEL_API;
};

/// True for a caller acting for a partner agency.
inline bool IsPartner(const common::v1::Actor& actor) { return actor.role() == kPartnerRole; }

}  // namespace tane::international
