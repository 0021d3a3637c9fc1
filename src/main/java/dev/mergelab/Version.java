package dev.mergelab;

/** MergeLab's version, written into output metadata, model cards and manifests and printed by {@code --version}. */
public final class Version {

    /** The one place the version is set; pom.xml's version follows it. */
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
