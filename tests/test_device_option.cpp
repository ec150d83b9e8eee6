// The device option, on any machine: parsing "cpu" / "cuda" / "cuda:N", what a build or a
// machine without CUDA says when asked for a device (a status, never a crash), and which
// sampler settings let a device session sample by argmax. Runs here (no GPU needed).
#include <gtest/gtest.h>

#include <string>

#include "common/paths.h"
#include "mistralrs.h"
#include "pipeline/device_option.h"
#include "pipeline/text_session.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

namespace mistralrs {
namespace {

int cuda_devices_here() {
#ifdef MISTRALRS_HAS_CUDA
  int n = 0;
  return kernels::cuda_device_count(&n) == 0 ? n : 0;
#else
  return 0;
#endif
}

TEST(DeviceOption, ParsesTheThreeForms) {
  struct Ok {
    const char* text;
    Device want;
  };
  for (const Ok& c : {Ok{"cpu", Device::cpu()}, Ok{"cuda", Device::cuda(0)}, Ok{"cuda:0", Device::cuda(0)},
                      Ok{"cuda:7", Device::cuda(7)}, Ok{"cuda:65535", Device::cuda(65535)}}) {
    auto d = parse_device(c.text);
    ASSERT_TRUE(d) << c.text << ": " << d.status().to_string();
    EXPECT_EQ(d.value(), c.want) << c.text;
  }
}

TEST(DeviceOption, RejectsEverythingElse) {
  for (const char* bad : {"", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:+1", "cuda:1a", " cuda", "cuda ", "cuda:65536",
                          "cuda:0000001", "cuda0", "cpu:0", "cuda:1:2"}) {
    auto d = parse_device(bad);
    ASSERT_FALSE(d) << "'" << bad << "' parsed";
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(d.status().message().find("expected \"cpu\", \"cuda\" or \"cuda:N\""), std::string::npos)
        << d.status().message();
  }
}

TEST(DeviceOption, UsabilityMatchesThisMachine) {
  EXPECT_TRUE(check_device_usable(Device::cpu()).is_ok());
  const int n = cuda_devices_here();
  const Status first = check_device_usable(Device::cuda(0));
  if (n == 0) {
    EXPECT_EQ(first.code(), StatusCode::kUnsupported) << first.to_string();
  } else {
    EXPECT_TRUE(first.is_ok()) << first.to_string();
  }
  const Status beyond = check_device_usable(Device::cuda(n == 0 ? 3 : n));
  EXPECT_FALSE(beyond.is_ok());
  // No device at all (or no CUDA build) is unsupported; a missing index among present ones
  // is the caller's mistake.
  EXPECT_EQ(beyond.code(), n == 0 ? StatusCode::kUnsupported : StatusCode::kInvalidArgument) << beyond.to_string();
}

TEST(DeviceOption, CApiSetDevice) {
  mistralrs_model_options* o = nullptr;
  ASSERT_EQ(mistralrs_model_options_create(&o), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_model_options_set_device(o, "cpu"), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_model_options_set_device(o, "gpu"), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("gpu"), std::string::npos) << mistralrs_last_error();
  EXPECT_EQ(mistralrs_model_options_set_device(o, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  const int32_t rc = mistralrs_model_options_set_device(o, "cuda");
  if (cuda_devices_here() == 0) {
    EXPECT_EQ(rc, MISTRALRS_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(mistralrs_last_error()).find("cuda:0"), std::string::npos) << mistralrs_last_error();
  } else {
    EXPECT_EQ(rc, MISTRALRS_OK);
  }
  mistralrs_model_options_free(o);
}

// Loading straight onto a device this machine lacks: a status before any weight is read.
TEST(DeviceOption, LoadWithoutTheDeviceIsAStatus) {
  if (cuda_devices_here() > 0) GTEST_SKIP() << "a CUDA device is present; tests/test_cuda_model.cpp covers it";
  auto m = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"), {}, Device::cuda(0));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported) << m.status().to_string();
}

TEST(DeviceOption, PrefixCacheIsCpuOnly) {
  CacheOptions cache;
  cache.prefix_cache = true;
  auto m = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"), cache, Device::cuda(0));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported) << m.status().to_string();
}

TEST(DeviceOption, CpuModelsStayOnTheCpu) {
  auto m = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_TRUE(m.value()->device().is_cpu());
  EXPECT_EQ(m.value()->model->kv_dtype(), DType::kF32);
  auto s = TextSession::create(*m.value(), nullptr, 16, 4);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s.value()->on_device());
  int32_t next = 0;
  const int32_t tok = 1;
  EXPECT_EQ(s.value()->eval_argmax(&tok, 1, &next).code(), StatusCode::kInvalidArgument);
}

// Only a chain whose result is the raw argmax may sample on the device.
TEST(DeviceOption, RawArgmaxOnlyForPlainGreedy) {
  SamplerParams p = greedy_sampling();
  EXPECT_TRUE(samples_raw_argmax(p));
  p.temperature = 0.0f;
  EXPECT_TRUE(samples_raw_argmax(p));
  const auto changed = [](auto edit) {
    SamplerParams q = greedy_sampling();
    edit(q);
    return samples_raw_argmax(q);
  };
  EXPECT_FALSE(changed([](SamplerParams& q) { q.greedy = false; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.temperature = 0.7f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.repeat_penalty = 1.1f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.presence_penalty = 0.5f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.dry.multiplier = 0.8f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.logit_bias.push_back({3, -1.0f}); }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.xtc_probability = 0.5f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.top_k = 40; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.top_p = 0.9f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.min_p = 0.05f; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.mirostat = 2; }));
  EXPECT_FALSE(changed([](SamplerParams& q) { q.dynatemp_range = 0.5f; }));
}

}  // namespace
}  // namespace mistralrs
