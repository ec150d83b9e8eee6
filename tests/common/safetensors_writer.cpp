#include "common/safetensors_writer.h"

#include <cstdio>

namespace mistralrs::testing {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void SafetensorsWriter::tensor(const std::string& name, const std::string& dtype,
                               std::vector<int64_t> shape, Bytes data) {
  tensors_.push_back({name, dtype, std::move(shape), std::move(data)});
}

std::string SafetensorsWriter::header_json() const {
  std::string h = "{";
  bool first = true;
  auto comma = [&] {
    if (!first) h += ",";
    first = false;
  };
  if (!metadata_.empty()) {
    comma();
    h += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata_.size(); ++i)
      h += (i ? "," : "") + json_quote(metadata_[i].first) + ":" + json_quote(metadata_[i].second);
    h += "}";
  }
  size_t offset = 0;
  for (const Spec& t : tensors_) {
    comma();
    h += json_quote(t.name) + ":{\"dtype\":" + json_quote(t.dtype) + ",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) h += (i ? "," : "") + std::to_string(t.shape[i]);
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," +
         std::to_string(offset + t.data.size()) + "]}";
    offset += t.data.size();
  }
  return h + "}";
}

Bytes SafetensorsWriter::data_section() const {
  Bytes d;
  for (const Spec& t : tensors_) d.insert(d.end(), t.data.begin(), t.data.end());
  return d;
}

Bytes SafetensorsWriter::build() const { return safetensors_raw(header_json(), data_section()); }

Bytes safetensors_raw(const std::string& header_json, const Bytes& data) {
  std::string h = header_json;
  while (h.size() % 8 != 0) h += ' ';
  ByteSink s;
  s.u64(h.size());
  s.raw(Bytes(h.begin(), h.end()));
  s.raw(data);
  return s.bytes();
}

}  // namespace mistralrs::testing
