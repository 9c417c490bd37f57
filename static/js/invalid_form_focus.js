// A form sent back with errors is brought into view with the cursor in its first invalid field (or, when the
// refusal is about the form as a whole, on its banner), rather than the page reloading at its top as if the
// form had been saved. The card holding the form carries data-invalid-form.
window.addEventListener("load", function () {
  var card = document.querySelector("[data-invalid-form]");
  if (!card) { return; }
  card.scrollIntoView({block: "start"});
  var field = card.querySelector('[aria-invalid="true"]');
  // viewflow's fields are custom elements: the focusable part is inside (a select's is its tabindex anchor),
  // and a slow machine may draw it after the load event, so look again for a moment before falling back.
  var focusable = 'input:not([type="hidden"]), select, textarea, [tabindex="0"]';
  function focus(tries) {
    var target = field && (field.matches(focusable) ? field : field.querySelector(focusable));
    if (!target && field && tries > 0) { window.setTimeout(focus, 50, tries - 1); return; }
    if (!target) {
      target = card.querySelector('[role="alert"]');
      if (target) { target.setAttribute("tabindex", "-1"); }
    }
    if (target) { target.focus({preventScroll: true}); }
  }
  focus(40);
});
