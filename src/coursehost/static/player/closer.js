// The "closer" exit page: close the window the course ran in (works for windows a script opened).
window.close();
