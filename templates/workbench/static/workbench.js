// The workbench's only script: the timeline editor. Every page works
// without it (the add and remove buttons post the form; the server edits the timeline).
"use strict";

function nextIndex(list) {
  let next = 0;
  for (const item of list.querySelectorAll("li.event")) {
    const n = parseInt(item.dataset.index, 10);
    if (!Number.isNaN(n) && n >= next) next = n + 1;
  }
  return next;
}

function addEvent(form) {
  const list = form.querySelector("ol.events");
  const type = form.querySelector("select[name=add_type]");
  const template = type && document.getElementById("event-template-" + type.value);
  if (!list || !template) return false;
  const index = String(nextIndex(list));
  const item = template.content.firstElementChild.cloneNode(true);
  item.dataset.index = index;
  for (const el of item.querySelectorAll("[name], [id], [for], [value]")) {
    for (const attr of ["name", "id", "for"]) {
      if (el.hasAttribute(attr)) el.setAttribute(attr, el.getAttribute(attr).replaceAll("__i__", index));
    }
    if (el.matches("button.remove-event")) el.value = "remove:" + index;
  }
  list.appendChild(item);
  const first = item.querySelector("input:not([type=hidden]), select");
  if (first) first.focus();
  return true;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button || !button.form) return;
  if (button.matches(".add-event-button")) {
    if (addEvent(button.form)) event.preventDefault();
  } else if (button.matches(".remove-event")) {
    const item = button.closest("li.event");
    if (item) {
      event.preventDefault();
      item.remove();
    }
  }
});
