// Renders a report page in headless Chromium (Debian `chromium`) and reads back what the
// page's own load check recorded: how many of its images the browser could display.
#pragma once

#include <regex>
#include <string>

#include "securemark/files.h"
#include "util/process.h"

namespace securemark::report::testing {

struct RenderedImages {
  bool rendered = false;
  int loaded = 0;
  int total = 0;
  std::string broken;  // src of every image that did not load
  int page_width = 0;  // the document's scroll width: wider than the window scrolls sideways
  std::string dom;
};

// `window_width`: the width the page is laid out at, in CSS pixels (400 is a phone's).
// Headless Chromium's window is at least 500 pixels wide, so narrower widths load the page
// in an iframe of that width, and the frame's findings are copied out.
inline RenderedImages RenderInChromium(std::string index_html, int window_width = 1280) {
  RenderedImages out;
  if (window_width < 500) {
    const std::string page = index_html.substr(index_html.find_last_of('/') + 1);
    index_html = index_html.substr(0, index_html.find_last_of('/') + 1) + "phone-frame.html";
    const std::string frame =
        "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" src=\"" + page +
        "\" style=\"border:0;width:" + std::to_string(window_width) +
        "px;height:900px\"></iframe><script>window.addEventListener('load',function(){"
        "var b=document.getElementById('f').contentDocument.body;"
        "for(const a of ['data-images-loaded','data-images-broken','data-page-width'])"
        "document.body.setAttribute(a,b.getAttribute(a));});</script></body></html>";
    if (!WriteFileAtomic(index_html, frame).ok()) return out;
  }
  // Chromium logs D-Bus complaints on machines without a session bus; they are noise here.
  auto r = RunProcess({"/bin/sh", "-c",
                       "exec chromium --headless --no-sandbox --disable-gpu "
                       "--disable-dev-shm-usage --allow-file-access-from-files "
                       "--virtual-time-budget=15000 --window-size=\"$2\",900 "
                       "--dump-dom \"file://$1\" 2>/dev/null",
                       "chromium", index_html, std::to_string(window_width)},
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
  if (std::regex_search(out.dom, m, std::regex(R"(data-page-width="(\d+)\")")))
    out.page_width = std::stoi(m[1]);
  return out;
}

}  // namespace securemark::report::testing
