package dev.mergelab.lab.web;

import java.nio.file.Path;

/** The frame every page shares: title, the navigation bar, our stylesheet (served from the jar, nothing external). */
final class Page {

    private final StringBuilder body = new StringBuilder();
    private final String title;
    private final Path lab;

    Page(String title, Path lab) {
        this.title = title;
        this.lab = lab;
    }

    /** Appends raw HTML: callers escape every value from the database with {@link Html#esc}. */
    Page add(String html) {
        body.append(html);
        return this;
    }

    Page heading(String text) {
        return add("<h1>" + Html.esc(text) + "</h1>\n");
    }

    Page section(String text) {
        return add("<h2>" + Html.esc(text) + "</h2>\n");
    }

    Page para(String text) {
        return add("<p>" + Html.esc(text) + "</p>\n");
    }

    Page pre(String cssClass, String text) {
        return add("<pre class=\"" + cssClass + "\">" + Html.esc(text) + "</pre>\n");
    }

    String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html.esc(title) + " - MergeLab</title>\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
                + "<link rel=\"stylesheet\" href=\"/static/lab.css\"></head>\n<body>\n<nav><span class=\"brand\">MergeLab</span>"
                + "<a href=\"/\">Candidates</a><a href=\"/compare\">Compare</a><a href=\"/interference\">Interference</a>"
                + "<a href=\"/searches\">Searches</a><span class=\"lab\" title=\"the lab folder\">" + Html.esc(lab.toString()) + "</span></nav>\n"
                + "<main>\n" + body + "</main>\n</body></html>\n";
    }
}
