package restapi

import "net/http"

// APIVersion is what discovery reports for v1.0. The platform's guides show 1.0.x version
// strings; rcemu reports the newest documented one.
const (
	APIVersionString = "1.0.51"
	APIReleaseDate   = "2022-04-13T00:00:00.000Z"
)

type apiVersion struct {
	URI           string `json:"uri"`
	VersionString string `json:"versionString"`
	ReleaseDate   string `json:"releaseDate"`
	URIString     string `json:"uriString"`
}

type apiVersions struct {
	URI            string       `json:"uri"`
	APIVersions    []apiVersion `json:"apiVersions"`
	ServerVersion  string       `json:"serverVersion"`
	ServerRevision string       `json:"serverRevision"`
}

// RegisterDiscovery adds GET /restapi and GET /restapi/v1.0, which need no token.
func RegisterDiscovery(rt *Router, serverVersion, serverRevision string) {
	v1 := func(r *Request) apiVersion {
		return apiVersion{URI: r.URI("/restapi/v1.0"), VersionString: APIVersionString,
			ReleaseDate: APIReleaseDate, URIString: "v1.0"}
	}
	rt.Handle("GET", "/restapi", func(w http.ResponseWriter, r *Request) error {
		return JSON(w, 200, apiVersions{URI: r.URI("/restapi/"), APIVersions: []apiVersion{v1(r)},
			ServerVersion: serverVersion, ServerRevision: serverRevision})
	}, Options{Public: true})
	rt.Handle("GET", "/restapi/v1.0", func(w http.ResponseWriter, r *Request) error {
		return JSON(w, 200, v1(r))
	}, Options{Public: true})
}
