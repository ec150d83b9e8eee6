#include "tokenizer/sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace mistralrs {

namespace {

const std::string kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space

}  // namespace

SentencePieceModel::SentencePieceModel() : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
SentencePieceModel::~SentencePieceModel() = default;

Expected<std::unique_ptr<SentencePieceModel>> SentencePieceModel::from_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return io_error("'" + path + "': no such SentencePiece model file");
  std::unique_ptr<SentencePieceModel> m(new SentencePieceModel());
  const auto st = m->sp_->Load(path);
  if (!st.ok()) return invalid_argument("'" + path + "': not a SentencePiece model: " + st.ToString());
  MISTRALRS_RETURN_IF_ERROR(m->finish_load(path));
  return m;
}

Expected<std::unique_ptr<SentencePieceModel>> SentencePieceModel::from_serialized(std::string_view serialized,
                                                                                  const std::string& origin) {
  std::unique_ptr<SentencePieceModel> m(new SentencePieceModel());
  const auto st = m->sp_->LoadFromSerializedProto(serialized);
  if (!st.ok()) return invalid_argument(origin + ": not a SentencePiece model: " + st.ToString());
  MISTRALRS_RETURN_IF_ERROR(m->finish_load(origin));
  return m;
}

Status SentencePieceModel::finish_load(const std::string& origin) {
  origin_ = origin;
  const int n = sp_->GetPieceSize();
  if (n <= 0) return invalid_argument(origin + ": the SentencePiece model has no pieces");
  for (int id = 0; id < n; ++id)
    if (sp_->IsControl(id) && !sp_->IdToPiece(id).empty()) controls_.emplace_back(sp_->IdToPiece(id), id);
  std::stable_sort(controls_.begin(), controls_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  // The model proto's add_dummy_prefix is not visible through the processor's API; a model
  // that adds it starts the encoding of "a" with a U+2581 piece.
  std::vector<std::string> pieces;
  if (sp_->Encode("a", &pieces).ok() && !pieces.empty()) dummy_prefix_ = pieces[0].rfind(kSpaceMarker, 0) == 0;
  return Status::ok();
}

int32_t SentencePieceModel::vocab_size() const { return sp_->GetPieceSize(); }
int32_t SentencePieceModel::bos_id() const { return sp_->bos_id(); }
int32_t SentencePieceModel::eos_id() const { return sp_->eos_id(); }

Status SentencePieceModel::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return Status::ok();
  std::vector<int> ids;
  const auto st = sp_->Encode(text, &ids);
  if (!st.ok()) return invalid_argument(origin_ + ": SentencePiece cannot encode the text: " + st.ToString());
  out.insert(out.end(), ids.begin(), ids.end());
  return Status::ok();
}

Expected<std::vector<int32_t>> SentencePieceModel::encode(std::string_view text, bool add_special,
                                                          bool parse_special) const {
  std::vector<int32_t> out;
  if (add_special && add_bos_ && bos_id() >= 0) out.push_back(bos_id());
  size_t start = 0;
  if (parse_special && !controls_.empty()) {
    for (size_t i = 0; i < text.size();) {
      const auto hit = std::find_if(controls_.begin(), controls_.end(),
                                    [&](const auto& c) { return text.substr(i).starts_with(c.first); });
      if (hit == controls_.end()) {
        ++i;
        continue;
      }
      MISTRALRS_RETURN_IF_ERROR(encode_plain(text.substr(start, i - start), out));
      out.push_back(hit->second);
      i += hit->first.size();
      start = i;
    }
  }
  MISTRALRS_RETURN_IF_ERROR(encode_plain(text.substr(start), out));
  if (add_special && add_eos_ && eos_id() >= 0) out.push_back(eos_id());
  return out;
}

std::string SentencePieceModel::token_bytes(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_size()) return "";
  const std::string piece = sp_->IdToPiece(id);
  if (sp_->IsControl(id) || sp_->IsUnknown(id) || sp_->IsUnused(id)) return render_special ? piece : "";
  unsigned byte = 0;
  if (sp_->IsByte(id) && std::sscanf(piece.c_str(), "<0x%02X>", &byte) == 1) return std::string(1, static_cast<char>(byte));
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
      out += ' ';
      i += kSpaceMarker.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

}  // namespace mistralrs
