namespace Serverless.UnitTests.Templates;

/// <summary>The three protocol examples of seed 004 (闲鱼 Chaplin), copied verbatim.</summary>
internal static class SeedExamples
{
    /// <summary>素材(图片): the "放大" image node.</summary>
    public const string ImageNode = @"{
""name"":""放大"",
""type"":""image"",
""duration"":2.0,
""shader"":{
""vertexURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.vert"",
""fragmentURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.frag"",
""uniforms"":{
""u_FirstScaleBegin"":1.00,
""u_FirstScaleRange"":0.04,
""u_FirstMoveBeginX"":0.00,
""u_FirstMoveRangeX"":0.00,
""u_FirstMoveBeginY"":0.00,
""u_FirstMoveRangeY"":0.00
}
}
}";

    /// <summary>转场: the "溶解" transition node.</summary>
    public const string TransitionNode = @"{
""name"":""溶解"",
""type"":""transition"",
""duration"":0.5,
""shader"":{
""vertexURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.vert"",
""fragmentURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.frag"",
""uniforms"":{
""u_FirstScaleBegin"":1.04,
""u_FirstScaleRange"":0.01,
""u_SecondScaleBegin"":1.00,
""u_SecondScaleRange"":0.01,
""u_FirstMoveBeginX"":0.00,
""u_FirstMoveRangeX"":0.00,
""u_FirstMoveBeginY"":0.00,
""u_FirstMoveRangeY"":0.00,
""u_SecondMoveBeginX"":0.00,
""u_SecondMoveRangeX"":0.00,
""u_SecondMoveBeginY"":0.00,
""u_SecondMoveRangeY"":0.00
}
}
}";

    /// <summary>贴纸: the <c>"tracks"</c> property with a PopImage sticker on a ShaderTrack (a property, not an object).</summary>
    public const string StickerTracks = @"""tracks"":[
{
""type"":""ShaderTrack"",
""list"":[
{
""type"":""PopImage"",
""position"":0,
""duration"":3600,
""data"":{

},
""shader"":{
""vertexURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV3/PopImage/PopImageV3.vert"",
""fragmentURL"":""https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV3/PopImage/PopImageV3.frag"",
""vertexCoordinatesName"":""a_Position"",
""vertexCoordinatesValue"":{
""x"":0,
""y"":0,
""width"":1,
""height"":1,
""rect"":{
""top"":""8dp"",
""right"":""8dp"",
""width"":""60dp"",
""height"":""24dp""
}
},
""images"":[
{
""textureCoordinatesName"":""a_FirstTexCoord"",
""textureCoordinatesValue"":{
""x"":0,
""y"":0,
""width"":1,
""height"":1
},
""textureName"":""u_FirstTexture"",
""imageURL"":""https://gw.alicdn.com/tfs/TB1QOt3nIVl614jSZKPXXaGjpXa-120-48.png""
}
],
""uniforms"":{
""u_MoveX"":0,
""u_MoveY"":0,
""u_VertexScaleBegin"":1,
""u_VertexScaleRange"":0
}
}
}

]
}
]";
}
