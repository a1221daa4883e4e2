// Small behaviours declared in the markup with data attributes, so templates carry no inline script
// (the Content-Security-Policy allows scripts from this site only):
//   data-confirm="question"  on a button or link: ask before going on
//   data-print               on a button: print the page
//   data-autosubmit          on a select: submit its form when it changes
//   data-select-on-click     on an input: select its text when clicked (to copy it)
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm], [data-print], [data-select-on-click]");
    if (!el) return;
    if (el.hasAttribute("data-confirm") && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
    } else if (el.hasAttribute("data-print")) {
      window.print();
    } else if (el.hasAttribute("data-select-on-click")) {
      el.select();
    }
  });
  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-autosubmit]");
    if (el && el.form) el.form.submit();
  });
})();
