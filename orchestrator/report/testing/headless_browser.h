// Renders a report page in headless Chromium (Debian `chromium`) and reads back what the
// page's own load check recorded: how many of its images the browser could display.
#pragma once

#include <regex>
#include <string>

#include "util/process.h"

namespace securemark::report::testing {

struct RenderedImages {
  bool rendered = false;
  int loaded = 0;
  int total = 0;
  std::string broken;  // src of every image that did not load
  std::string dom;
};

inline RenderedImages RenderInChromium(const std::string& index_html) {
  RenderedImages out;
  // Chromium logs D-Bus complaints on machines without a session bus; they are noise here.
  auto r = RunProcess({"/bin/sh", "-c",
                       "exec chromium --headless --no-sandbox --disable-gpu "
                       "--disable-dev-shm-usage --allow-file-access-from-files "
                       "--virtual-time-budget=15000 --dump-dom \"file://$1\" 2>/dev/null",
                       "chromium", index_html},
                      /*capture_stdout=*/true);
  if (!r.ok() || r->exit_code != 0) return out;
  out.dom = r->output;
  std::smatch m;
  if (!std::regex_search(out.dom, m, std::regex(R"(data-images-loaded="(\d+)/(\d+)\")")))
    return out;
  out.rendered = true;
  out.loaded = std::stoi(m[1]);
  out.total = std::stoi(m[2]);
  if (std::regex_search(out.dom, m, std::regex(R"(data-images-broken="([^"]*)\")")))
    out.broken = m[1];
  return out;
}

}  // namespace securemark::report::testing
