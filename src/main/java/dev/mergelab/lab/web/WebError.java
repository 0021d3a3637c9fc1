package dev.mergelab.lab.web;

/** A request the server answers with an HTTP error status and a one-line plain-text message (unknown id, bad parameter). */
final class WebError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;

    WebError(int status, String message) {
        super(message.replace('\n', ' ').replace('\r', ' '));
        this.status = status;
    }
}
