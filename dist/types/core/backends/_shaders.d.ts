/** SHA-256 of the shader sources this was generated from. */
export declare const SHADER_SOURCE_HASH = "0571cc8cdf449ba5c58b883c0b46c1de3b9e550efcc439b16e4c3b0d0045df43";
/** WGSL source of each shader, by file name without extension. */
export declare const SHADERS: Readonly<Record<string, string>>;
