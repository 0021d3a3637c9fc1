package dev.mergelab.model;

import java.util.List;

/**
 * What an architecture knows about one concrete tensor name.
 *
 * @param name        the tensor name
 * @param section     PRE, LAYER or POST
 * @param layerIndex  the layer it belongs to, or -1 outside the layers
 * @param expertIndex the expert within the layer for mixture-of-experts weights, or -1
 * @param isEmbed     vocabulary-sized: cut to the common vocabulary by merges
 * @param optional    checkpoints may lack it
 * @param tiedNames   tensors that stand in for it when it is absent
 * @param template    the definition's template it came from (equal to name outside the layers)
 * @param storedInOut a matrix stored [in, out] (Conv1D), see {@link WeightTemplate#storedInOut()}
 */
public record WeightInfo(String name, Section section, int layerIndex, int expertIndex, boolean isEmbed,
                         boolean optional, List<String> tiedNames, String template, boolean storedInOut) {

    public WeightInfo {
        tiedNames = List.copyOf(tiedNames);
    }

    /** A weight stored the usual way ([out, in] for matrices). */
    public WeightInfo(String name, Section section, int layerIndex, int expertIndex, boolean isEmbed,
                      boolean optional, List<String> tiedNames, String template) {
        this(name, section, layerIndex, expertIndex, isEmbed, optional, tiedNames, template, false);
    }
}
