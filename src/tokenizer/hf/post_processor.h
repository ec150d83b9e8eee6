// tokenizer.json post-processors for one sequence: TemplateProcessing (special tokens around
// $A), BertProcessing and RobertaProcessing ([cls] A [sep]), ByteLevel (offsets only: no ids
// change) and Sequence. Applied only when the caller asks for special tokens.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "tokenizer/hf/json_fields.h"

namespace mistralrs::hf {

class PostProcessor {
 public:
  explicit PostProcessor(std::vector<int32_t> before = {}, std::vector<int32_t> after = {})
      : before_(std::move(before)), after_(std::move(after)) {}
  void apply(std::vector<int32_t>& ids) const {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }
  const std::vector<int32_t>& before() const { return before_; }
  const std::vector<int32_t>& after() const { return after_; }

 private:
  std::vector<int32_t> before_, after_;  // ids added before / after the sequence
};

// null JSON gives a processor that adds nothing.
Expected<PostProcessor> parse_post_processor(const Json& j, int depth = 0);

}  // namespace mistralrs::hf
