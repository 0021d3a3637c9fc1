package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A lineage edge: {@code parent} contributed to {@code child} by {@code relation} ({@link Relation}); on merge edges
 * the method and the parent's resolved parameters. {@code position} is the parent's place in the recipe.
 */
public record Edge(String parent, String child, String relation, String method, JsonNode parameters, boolean isBase, int position) {
}
