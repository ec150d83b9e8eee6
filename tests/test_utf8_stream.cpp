#include <gtest/gtest.h>

#include "pipeline/stop_strings.h"
#include "tokenizer/utf8_stream.h"

namespace mistralrs {
namespace {

TEST(Utf8Stream, HoldsSplitCharactersUntilComplete) {
  Utf8Stream s;
  // "é" = C3 A9, "🦙" = F0 9F A6 99, fed one byte at a time as byte-fallback tokens would.
  EXPECT_EQ(s.push("a\xC3"), "a");
  EXPECT_EQ(s.push("\xA9"), "\xC3\xA9");
  EXPECT_EQ(s.push("\xF0"), "");
  EXPECT_EQ(s.push("\x9F"), "");
  EXPECT_EQ(s.push("\xA6"), "");
  EXPECT_EQ(s.push("\x99!"), "\xF0\x9F\xA6\x99!");
  EXPECT_FALSE(s.has_pending());
}

TEST(Utf8Stream, InvalidBytesBecomeReplacementCharacters) {
  Utf8Stream s;
  // 0xFF never starts a character; C3 followed by 'x' is a broken sequence; ED A0 would be
  // a surrogate (not allowed in UTF-8).
  EXPECT_EQ(s.push("\xFFx"), "\xEF\xBF\xBDx");
  EXPECT_EQ(s.push("\xC3x"), "\xEF\xBF\xBDx");
  EXPECT_EQ(s.push("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(s.push("\xE2\x82"), "");
  EXPECT_EQ(s.flush(), "\xEF\xBF\xBD");  // unfinished at the end
}

TEST(Utf8Stream, CharLength) {
  EXPECT_EQ(utf8_char_length("a"), 1);
  EXPECT_EQ(utf8_char_length("\xC3\xA9"), 2);
  EXPECT_EQ(utf8_char_length("\xE2\x82\xAC"), 3);
  EXPECT_EQ(utf8_char_length("\xF0\x9F\xA6\x99"), 4);
  EXPECT_EQ(utf8_char_length("\xF0\x9F"), 0);
  EXPECT_EQ(utf8_char_length("\xC0\x80"), -1);  // overlong
  EXPECT_EQ(utf8_char_length("\xF4\x90\x80\x80"), -1);  // above U+10FFFF
}

TEST(StopStrings, HoldsPossiblePrefixesAndCutsAtMatch) {
  StopStringFilter f({"User:", "\n\n"});
  EXPECT_EQ(f.push("Hello "), "Hello ");
  EXPECT_EQ(f.push("Us"), "");          // could become "User:"
  EXPECT_EQ(f.push("e"), "");
  EXPECT_EQ(f.push("d to it"), "Used to it");  // it did not
  EXPECT_EQ(f.push("\n"), "");          // could become "\n\n"
  EXPECT_EQ(f.push("x User"), "\nx ");
  EXPECT_EQ(f.push(": hi"), "");        // "User:" matched: nothing after it
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("more"), "");
  EXPECT_EQ(f.flush(), "");
}

TEST(StopStrings, EarliestMatchWinsAndFlushReturnsHeldText) {
  // "bcde" starts at index 1, before "cd" at index 2: the text ends after "a".
  StopStringFilter f({"cd", "bcde"});
  EXPECT_EQ(f.push("abcdef"), "a");
  EXPECT_TRUE(f.stopped());
  StopStringFilter g({"END"});
  EXPECT_EQ(g.push("the EN"), "the ");
  EXPECT_EQ(g.flush(), "EN");  // generation ended for another reason: held text goes out
}

}  // namespace
}  // namespace mistralrs
