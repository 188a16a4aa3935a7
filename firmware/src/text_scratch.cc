#include "pmu/firmware/text_scratch.h"

#include <cstdlib>
#include <cstring>

namespace pmu::firmware {
namespace {

char g_text[TextScratch::kSize];
bool g_taken = false;

}  // namespace

TextScratch::TextScratch() {
  if (g_taken) std::abort();  // two users at once: the texts would overwrite each other
  g_taken = true;
}

TextScratch::~TextScratch() {
  std::memset(g_text, 0, sizeof(g_text));
  g_taken = false;
}

std::span<char, TextScratch::kSize> TextScratch::bytes() { return std::span<char, kSize>(g_text, kSize); }

}  // namespace pmu::firmware
