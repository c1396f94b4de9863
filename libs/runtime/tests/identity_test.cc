#include "tane/runtime/identity.h"

#include <gtest/gtest.h>

#include <list>

namespace tane::runtime {
namespace {

// Builds grpc's metadata multimap; string_refs need storage that stays put.
class MetadataBuilder {
 public:
  MetadataBuilder& Add(std::string key, std::string value) {
    storage_.push_back(std::move(key));
    const std::string& k = storage_.back();
    storage_.push_back(std::move(value));
    const std::string& v = storage_.back();
    metadata_.emplace(grpc::string_ref(k), grpc::string_ref(v));
    return *this;
  }
  const telemetry::Metadata& metadata() const { return metadata_; }

 private:
  std::list<std::string> storage_;
  telemetry::Metadata metadata_;
};

MetadataBuilder Caller() {
  MetadataBuilder b;
  b.Add(kSubjectMetadataKey, "u-123").Add(kRoleMetadataKey, "program_officer");
  return b;
}

TEST(Identity, WithoutAConfiguredTokenTheMetadataIsTaken) {
  auto id = IdentityFromMetadata(Caller().metadata(), "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, (CallerIdentity{"u-123", "program_officer", ""}));

  auto partner = IdentityFromMetadata(Caller().Add(kAgencyMetadataKey, "NSF").metadata(), "");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(partner->agency, "NSF");
}

TEST(Identity, TheConfiguredTokenIsRequired) {
  EXPECT_EQ(IdentityFromMetadata(Caller().metadata(), "secret").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(IdentityFromMetadata(Caller().Add(kInternalTokenMetadataKey, "guess").metadata(), "secret").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(IdentityFromMetadata(Caller().Add(kInternalTokenMetadataKey, "secret-and-more").metadata(), "secret")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(IdentityFromMetadata(
                Caller().Add(kInternalTokenMetadataKey, "secret").Add(kInternalTokenMetadataKey, "other").metadata(),
                "secret")
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  auto id = IdentityFromMetadata(Caller().Add(kInternalTokenMetadataKey, "secret").metadata(), "secret");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->subject, "u-123");
}

TEST(Identity, SubjectAndRoleAreRequiredOnceAndNonEmpty) {
  MetadataBuilder no_subject;
  no_subject.Add(kRoleMetadataKey, "applicant");
  EXPECT_EQ(IdentityFromMetadata(no_subject.metadata(), "").status().code(), absl::StatusCode::kUnauthenticated);

  MetadataBuilder no_role;
  no_role.Add(kSubjectMetadataKey, "u-1");
  EXPECT_EQ(IdentityFromMetadata(no_role.metadata(), "").status().code(), absl::StatusCode::kUnauthenticated);

  MetadataBuilder empty_subject;
  empty_subject.Add(kSubjectMetadataKey, "").Add(kRoleMetadataKey, "applicant");
  EXPECT_EQ(IdentityFromMetadata(empty_subject.metadata(), "").status().code(), absl::StatusCode::kUnauthenticated);

  EXPECT_EQ(IdentityFromMetadata(Caller().Add(kSubjectMetadataKey, "u-999").metadata(), "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(IdentityFromMetadata(Caller().Add(kAgencyMetadataKey, "NSF").Add(kAgencyMetadataKey, "DFG").metadata(), "")
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace tane::runtime
