package spec

// ReadCacheForTest exposes the cache reader to the external tests.
var ReadCacheForTest = readCache
