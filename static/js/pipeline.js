// The pipeline board (templates/staff/leads/board.html): drag a lead card onto another column with native HTML5
// drag and drop; htmx posts the move and swaps the whole board back in, so both columns' counts and totals are
// recomputed by the server. A lost column asks for the reason first. Listeners sit on the document, so they keep
// working after each swap.
(function () {
  "use strict";
  var dragged = null;

  // The classes live in the template's data attributes, where Tailwind's build finds them.
  function classes(name) {
    var board = document.getElementById("lead-board");
    return ((board && board.dataset[name]) || "").split(" ").filter(Boolean);
  }

  function column(target) {
    return target && target.closest ? target.closest("[data-stage-column]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-lead-card][draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.leadId);
    card.classList.add.apply(card.classList, classes("dragClasses"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove.apply(dragged.classList, classes("dragClasses"));
    dragged = null;
    document.querySelectorAll("[data-stage-column]").forEach(function (el) {
      el.classList.remove.apply(el.classList, classes("dropClasses"));
    });
  });

  document.addEventListener("dragover", function (event) {
    var target = column(event.target);
    if (!target || !dragged) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    target.classList.add.apply(target.classList, classes("dropClasses"));
  });

  document.addEventListener("dragleave", function (event) {
    var target = column(event.target);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove.apply(target.classList, classes("dropClasses"));
  });

  document.addEventListener("drop", function (event) {
    var target = column(event.target);
    if (!target || !dragged) return;
    event.preventDefault();
    target.classList.remove.apply(target.classList, classes("dropClasses"));
    var card = dragged;
    dragged = null;
    if (card.dataset.stageId === target.dataset.stageId) return;
    var board = document.getElementById("lead-board");
    var values = { stage: target.dataset.stageId };
    if (target.dataset.lost === "true") {
      var reason = window.prompt(board.dataset.lostPrompt);
      if (reason === null || !reason.trim()) return; // cancelled: the card stays where it was
      values.lost_reason = reason.trim();
    }
    target.querySelector("ol").appendChild(card); // at once; the server's board replaces it
    var url = board.dataset.moveUrl.replace("00000000-0000-0000-0000-000000000000", card.dataset.leadId);
    htmx.ajax("POST", url, { source: board, target: "#lead-board", swap: "outerHTML", values: values });
  });
})();
