"""Many jobs at once, from the mirror: selectors, lookup, exports, the one serializer."""
