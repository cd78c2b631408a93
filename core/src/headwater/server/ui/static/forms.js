// Block forms: show the chosen alternative of a union field, confirm deletes.
// Plain JavaScript, no build step. Without it the form still works for the
// alternative the server chose (the others are hidden and disabled).
"use strict";
(function () {
  function setAlternative(fieldset, chosen) {
    for (const alt of fieldset.querySelectorAll(":scope > .hw-union-alt")) {
      const on = alt.dataset.alt === chosen;
      alt.hidden = !on;
      // Disabled inputs are not submitted, so only the chosen alternative is sent.
      for (const input of alt.querySelectorAll("input, select, textarea")) {
        input.disabled = !on;
      }
      if (on) {
        // Nested unions inside the chosen alternative: re-apply their own choice.
        for (const inner of alt.querySelectorAll("fieldset.hw-union")) {
          const select = inner.querySelector(":scope > select.hw-union-select");
          if (select) setAlternative(inner, select.value);
        }
      }
    }
  }

  function init() {
    for (const fieldset of document.querySelectorAll("fieldset.hw-union")) {
      const select = fieldset.querySelector(":scope > select.hw-union-select");
      if (!select) continue;
      select.addEventListener("change", () => setAlternative(fieldset, select.value));
    }
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
