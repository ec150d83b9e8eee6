#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "capi/guard.h"
#include "mistralrs.h"

namespace mistralrs {
namespace {

// The firewall turns every way a body can fail into a status plus a message.
TEST(CapiGuard, StatusExceptionAndBadAlloc) {
  EXPECT_EQ(capi::guarded("f_ok", [] { return Status::ok(); }), MISTRALRS_OK);
  EXPECT_EQ(capi::guarded("f_io", [] { return io_error("disk gone"); }), MISTRALRS_ERR_IO);
  EXPECT_STREQ(mistralrs_last_error(), "f_io: disk gone");
  EXPECT_EQ(capi::guarded("f_throw", []() -> Status { throw std::runtime_error("boom"); }),
            MISTRALRS_ERR_INTERNAL);
  EXPECT_STREQ(mistralrs_last_error(), "f_throw: boom");
  EXPECT_EQ(capi::guarded("f_oom", []() -> Status { throw std::bad_alloc(); }),
            MISTRALRS_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(capi::guarded("f_int", []() -> Status { throw 42; }), MISTRALRS_ERR_INTERNAL);
  EXPECT_STREQ(mistralrs_last_error(), "f_int: unknown exception");
}

// Each thread sees its own last error.
TEST(CapiGuard, LastErrorIsPerThread) {
  (void)capi::guarded("main", [] { return invalid_argument("main thread"); });
  std::string other;
  std::thread t([&] {
    (void)capi::guarded("worker", [] { return unsupported("worker thread"); });
    other = mistralrs_last_error();
  });
  t.join();
  EXPECT_EQ(other, "worker: worker thread");
  EXPECT_STREQ(mistralrs_last_error(), "main: main thread");
}

}  // namespace
}  // namespace mistralrs
