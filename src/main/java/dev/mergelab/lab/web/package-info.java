/**
 * The lab's web view ({@code mergelab lab serve}): a small HTTP server on the JDK's own {@code com.sun.net.httpserver}
 * that reads the lab live on every request and answers with server-rendered HTML pages (tables, and SVG drawn here:
 * the lineage DAG, a search's progress and Pareto front) and the same data as JSON under {@code /api/...}. Every page
 * is rendered from the JSON its API route returns, so the two never disagree. It sits above {@code lab.registry} and
 * {@code eval} (for the interference matrix) and only reads the database.
 */
package dev.mergelab.lab.web;
