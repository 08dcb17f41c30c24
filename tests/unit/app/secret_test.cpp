// The generated HS256 secret: created once, private, reused; and where it lives.

#include "app/secret.hpp"

#include "core/ids.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>

namespace herald::app {
namespace {

namespace fs = std::filesystem;

class SecretTest : public ::testing::Test {
protected:
  SecretTest() : dir_(fs::temp_directory_path() / ("herald-secret-test-" + core::random_token(9))) {
    fs::create_directory(dir_);
  }
  ~SecretTest() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(SecretTest, CreatedOncePrivateAndReused) {
  const auto file = dir_ / "herald.secret";
  const std::string first = load_or_create_secret(file);
  EXPECT_EQ(first.size(), 43u); // 32 bytes, base64url without padding
  ASSERT_TRUE(fs::exists(file));

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read(file), first + "\n");

  EXPECT_EQ(load_or_create_secret(file), first);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(SecretTest, ModeIs0600WhateverTheUmask) {
  const mode_t old = ::umask(0);
  const std::string secret = load_or_create_secret(dir_ / "s");
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "s").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SecretTest, EachFileGetsItsOwnSecret) {
  EXPECT_NE(load_or_create_secret(dir_ / "a"), load_or_create_secret(dir_ / "b"));
}

TEST_F(SecretTest, ExistingFileIsReturnedTrimmed) {
  std::ofstream(dir_ / "herald.secret") << "  my-own-secret \r\n\n";
  EXPECT_EQ(load_or_create_secret(dir_ / "herald.secret"), "my-own-secret");
  EXPECT_EQ(read(dir_ / "herald.secret"), "  my-own-secret \r\n\n"); // left as it was
}

TEST_F(SecretTest, EmptyFileIsAnErrorNotAnEmptyKey) {
  std::ofstream(dir_ / "herald.secret") << " \n";
  EXPECT_THROW(load_or_create_secret(dir_ / "herald.secret"), std::runtime_error);
}

TEST_F(SecretTest, MissingDirectoryIsAnError) {
  EXPECT_THROW(load_or_create_secret(dir_ / "absent" / "herald.secret"), std::system_error);
}

TEST(DefaultSecretPath, BesideTheSqliteDatabase) {
  EXPECT_EQ(default_secret_path("sqlite://herald.db"), fs::path("./herald.secret"));
  EXPECT_EQ(default_secret_path("sqlite:///var/lib/h/h.db"), fs::path("/var/lib/h/herald.secret"));
  EXPECT_EQ(default_secret_path("sqlite://data/h.db"), fs::path("data/herald.secret"));
  EXPECT_EQ(default_secret_path("sqlite://data/h.db?mode=rwc"), fs::path("data/herald.secret"));
  EXPECT_EQ(default_secret_path("sqlite://:memory:"), fs::path("./herald.secret"));
}

TEST(DefaultSecretPath, WorkingDirectoryForOtherStores) {
  EXPECT_EQ(default_secret_path("postgres://u:p@h:5432/d"), fs::path("./herald.secret"));
  EXPECT_EQ(default_secret_path("postgresql://h/d"), fs::path("./herald.secret"));
}

} // namespace
} // namespace herald::app
