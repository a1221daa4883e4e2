// Workshop pages (no inline handlers under the Content-Security-Policy): print buttons, and
// "select all" on the confirmation list.
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-print]");
  if (b) { e.preventDefault(); window.print(); return; }
  var all = e.target.closest("[data-select-all]");
  if (all) {
    var form = all.closest("form");
    var boxes = form ? form.querySelectorAll("input[type=checkbox][name=" + all.getAttribute("data-select-all") + "]") : [];
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
  }
});
