// Headwater UI helpers: plain JavaScript, no build step.
"use strict";
window.headwater = {
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
};
