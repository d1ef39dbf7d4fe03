package dev.cacheinvalidation.js;

import java.util.ArrayList;
import java.util.List;

/** The elements of a JSON array as the texts they are written with, as JSON.stringify writes one (no whitespace). */
final class JsonArrayText {

    private JsonArrayText() {
    }

    /**
     * @param array the text of a JSON array, {@code [...]}
     * @return the text of each element, in order
     * @throws IllegalArgumentException when the text is not an array, or its brackets or quotes do not balance
     */
    static List<String> elements(String array) {
        int end = array.length() - 1;
        if (end < 1 || array.charAt(0) != '[' || array.charAt(end) != ']') {
            throw new IllegalArgumentException("not a JSON array: " + preview(array));
        }
        List<String> elements = new ArrayList<>();
        if (end == 1) {
            return elements;
        }
        int depth = 0;
        int start = 1;
        boolean inString = false;
        for (int i = 1; i < end; i++) {
            char c = array.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                elements.add(array.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0 || inString) {
            throw new IllegalArgumentException("unbalanced JSON array: " + preview(array));
        }
        elements.add(array.substring(start, end));
        return elements;
    }

    private static String preview(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }
}
