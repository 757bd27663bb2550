"""The public face: the product supermarket (金融产品超市), the platform's figures, the guides."""
