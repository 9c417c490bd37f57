// A bulk page's "select all" box and the count of items selected (templates/workflows/bulk.html).
(function () {
  "use strict";
  var all = document.querySelector("[data-bulk-all]");
  if (!all) { return; }
  var form = all.closest("form");
  var count = form.querySelector("[data-bulk-count]");
  function boxes() { return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=pk]")); }
  function update() {
    var list = boxes();
    var checked = list.filter(function (b) { return b.checked; }).length;
    all.checked = checked > 0 && checked === list.length;
    all.indeterminate = checked > 0 && checked < list.length;
    if (count) { count.textContent = count.getAttribute("data-template").replace("{n}", String(checked)); }
  }
  all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes().forEach(function (b) { b.addEventListener("change", update); });
  update();
}());
