/**
 * The public Java API of taylormlp, for programs that embed the engine: {@link org.taylormlp.api.TaylorModel}
 * opens any checkpoint or release and generates text (whole or streamed token by token);
 * {@link org.taylormlp.api.Releases} protects a model into a release and audits a release.
 *
 * <p>This package is the contract: its types take and return paths, strings, numbers and records of this
 * package only. Every other package of taylormlp is internal and may change between versions.
 */
package org.taylormlp.api;
