// Marks that scripts run, so the phone menu may collapse behind its toggler; without scripts it stays open.
document.documentElement.classList.replace("no-js", "js");
