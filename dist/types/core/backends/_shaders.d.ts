/** SHA-256 of the shader sources this was generated from. */
export declare const SHADER_SOURCE_HASH = "3644986efc43db3c45acd16349c1d9f70f8599a1b51ca722c6bd977bc453a6e2";
/** WGSL source of each shader, by file name without extension. */
export declare const SHADERS: Readonly<Record<string, string>>;
