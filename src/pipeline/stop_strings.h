// Streams generated text while watching for stop strings: text that might still turn into
// a stop string is held back until it cannot; a match ends the text just before it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mistralrs {

class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Adds complete UTF-8 text; returns what may be emitted now. After a match, stopped()
  // is true and nothing more is emitted.
  std::string push(std::string_view text);
  // What is still held back (emitted when generation ends for another reason).
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace mistralrs
